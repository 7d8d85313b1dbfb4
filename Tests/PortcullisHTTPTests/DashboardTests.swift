import Testing

@Suite("The dashboard is served by the binary")
struct DashboardTests {
    @Test("/dashboard is HTML from web/, with caching headers; unknown assets are 404")
    func servesIndex() async throws {
        try await TestServer.run { client in
            let page = try await client.withBearer(nil).get("/dashboard")
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("Cache-Control") == "no-cache")
            #expect(page.text.contains("Portcullis"))
            #expect(page.header("X-Route-Class") == "background")
            #expect(try await client.withBearer(nil).get("/dashboard/index.html").text == page.text)
            #expect(try await client.withBearer(nil).get("/dashboard/missing.js").status == 404)
        }
    }

    @Test("Assets have their content types, revalidate by ETag (304), and may load nothing from elsewhere")
    func assetsRevalidate() async throws {
        try await TestServer.run { client in
            let anonymous = client.withBearer(nil)
            for (path, type) in [("/dashboard/app.js", "text/javascript; charset=utf-8"), ("/dashboard/style.css", "text/css; charset=utf-8"),
                                 ("/dashboard/favicon.svg", "image/svg+xml")] {
                let asset = try await anonymous.get(path)
                #expect(asset.status == 200)
                #expect(asset.header("Content-Type") == type)
                #expect(asset.header("Cache-Control") == "no-cache")
                #expect(asset.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
                let etag = try #require(asset.header("ETag"))
                let again = try await anonymous.send("GET", path, headers: ["If-None-Match": etag])
                #expect(again.status == 304)
                #expect(again.body.isEmpty)
                #expect(try await anonymous.send("GET", path, headers: ["If-None-Match": "\"stale\""]).status == 200)
            }
        }
    }
}
