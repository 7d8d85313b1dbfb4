import Logging
import NIOCore
import PortcullisModel
import PostgresNIO

/// The configurations PostgresNIO's client and connections are made from.
extension PostgresConfiguration {
    /// The TLS settings of `tls`: none, encryption only, or encryption with the certificate and host name checked.
    private var tlsConfiguration: TLSConfiguration? {
        switch tls {
        case .disable:
            return nil
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        case .verifyFull:
            return TLSConfiguration.makeClientConfiguration()
        }
    }

    /// Startup parameters every connection sends: the schema, when one is set.
    private var startupParameters: [(String, String)] {
        schema.map { [("search_path", $0)] } ?? []
    }

    /// The pooled client of writes and management reads, `maximumConnections` at most.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: tlsConfiguration.map { .require($0) } ?? .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// One connection of the decision readers (`PostgresSnapshotPool`).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var tls = PostgresConnection.Configuration.TLS.disable
        if let tlsConfiguration {
            tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}
