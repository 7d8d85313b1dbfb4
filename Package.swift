// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The folders of Sources/PortcullisCore, each a module of its own (see `coreModule`).
let coreFolders = [
    "Model", "Support", "Policy", "SQLite", "Cache", "Store", "Postgres", "Engine", "Auth", "Monitor", "Operations", "Demo", "DecisionLog",
]

/// A module made of some folders of Sources/PortcullisCore: the tree reads as one core (Model, Policy, Cache, Store,
/// Engine, Auth, Monitor…) while each part compiles on its own, so a dependency pointing the wrong way does not build.
func coreModule(_ name: String, folders: [String], dependencies: [Target.Dependency], plugins: [Target.PluginUsage] = []) -> Target {
    .target(name: name, dependencies: dependencies, path: "Sources/PortcullisCore",
            exclude: coreFolders.filter { !folders.contains($0) }, sources: folders, swiftSettings: swiftSettings, plugins: plugins)
}

let package = Package(
    name: "portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portcullis", targets: ["portcullis"]),
        .library(name: "PortcullisCore", targets: ["PortcullisCore"]),
        .library(name: "PortcullisHTTP", targets: ["PortcullisHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // Already in the graph through Hummingbird's test support; fetches auth.jwt.jwks_url over HTTPS.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        // The PostgreSQL backend (storage.backend = "postgres", docs/scaling.md).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The core is one folder, Sources/PortcullisCore, whose subfolders are modules: the compiler keeps the
        // dependencies pointing one way (docs/architecture.md). Model ← Policy; Model ← SQLite ← Cache; Model, Policy,
        // SQLite ← Store ← Postgres; everything ← PortcullisCore (engine, auth, monitor, operations), which re-exports them all.
        coreModule("PortcullisModel", folders: ["Model", "Support"], dependencies: [
            // SHA-256, HMAC, random bytes (Crypto) and PBKDF2 (CryptoExtras), on BoringSSL built from source.
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        coreModule("PortcullisPolicy", folders: ["Policy"], dependencies: ["PortcullisModel"]),
        // SQLite's process-wide settings: sqlite3_config is variadic, which Swift cannot call.
        .target(name: "CSQLiteSettings", path: "Sources/CSQLiteSettings", linkerSettings: [.linkedLibrary("sqlite3")]),
        coreModule("PortcullisSQLite", folders: ["SQLite"], dependencies: [
            "PortcullisModel", "CSQLiteSettings", .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        coreModule("PortcullisCache", folders: ["Cache"], dependencies: [
            "PortcullisModel", "PortcullisSQLite",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        coreModule("PortcullisStore", folders: ["Store"], dependencies: [
            "PortcullisModel", "PortcullisPolicy", "PortcullisSQLite",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ], plugins: ["EmbedResources"]),
        // The PostgreSQL backend: the same store protocols on a shared database. Only the composition above the store
        // names it, so the SQLite code neither links nor imports PostgresNIO.
        coreModule("PortcullisPostgres", folders: ["Postgres"], dependencies: [
            "PortcullisModel", "PortcullisPolicy", "PortcullisStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], plugins: ["EmbedResources"]),
        coreModule("PortcullisCore", folders: ["Engine", "Auth", "Monitor", "Operations", "Demo", "DecisionLog"], dependencies: [
            "PortcullisModel", "PortcullisPolicy", "PortcullisSQLite", "PortcullisCache", "PortcullisStore", "PortcullisPostgres",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            // JWT callers: signature and claim verification against a JWKS (RS256, ES256, EdDSA).
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        // Embeds schema/*.sql and web/ into the binary, so one file is the whole appliance.
        .executableTarget(name: "embed-resources", path: "Sources/embed-resources"),
        .plugin(name: "EmbedResources", capability: .buildTool(), dependencies: ["embed-resources"]),
        .target(
            name: "PortcullisHTTP",
            dependencies: [
                "PortcullisCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The config file's TOML.
                .product(name: "TOMLKit", package: "TOMLKit"),
                // auth.jwt.jwks_url.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedResources"]
        ),
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "PortcullisCore",
                "PortcullisHTTP",
                "PortcullisSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // `portcullis test`: policy test suites in YAML, read through Yams' node API for line numbers.
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedResources"]
        ),
        // The floor: a bare SwiftNIO HTTP/1.1 server that `portcullis bench` measures beside Portcullis (bench only;
        // packaging/build-deb.sh builds and ships the portcullis product alone).
        .executableTarget(
            name: "portcullis-floor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared by the test targets: raw loopback sockets for HTTP at the byte level.
        // And hand-made JWTs signed with fresh swift-crypto keys (RS256, ES256, EdDSA, forged HS256).
        .target(name: "PortcullisTestSupport", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ], path: "Tests/PortcullisTestSupport"),
        .testTarget(
            name: "PortcullisCoreTests",
            dependencies: ["PortcullisCore", "PortcullisModel", "PortcullisPolicy", "PortcullisSQLite", "PortcullisCache", "PortcullisStore",
                           "PortcullisPostgres", "PortcullisTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisHTTPTests",
            dependencies: [
                "PortcullisCore", "PortcullisHTTP", "PortcullisTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "portcullisTests",
            dependencies: ["portcullis", "portcullis-floor", "PortcullisCore", "PortcullisHTTP", "PortcullisTestSupport",
                           .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
    ]
)
