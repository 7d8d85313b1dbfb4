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
}
