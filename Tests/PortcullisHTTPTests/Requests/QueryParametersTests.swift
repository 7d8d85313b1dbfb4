import Testing

import PortcullisCore
@testable import PortcullisHTTP

/// The query string as forms and `URLSearchParams` encode it: `+` a space, `%XX` a byte, UTF-8 or a 400.
@Suite("Query parameters")
struct QueryParametersTests {
    @Test("plus is a space, percent escapes decode, the first of repeated names wins, absent names are nil")
    func decoding() throws {
        let query = QueryParameters("q=Design+team&x=a%2Bb&e=&flag&q=second&caf%C3%A9=%C3%A9t%C3%A9&sp=%20")
        #expect(try query.value("q") == "Design team")
        #expect(try query.value("x") == "a+b")
        #expect(try query.value("e") == "")
        #expect(try query.value("flag") == "")
        #expect(try query.value("café") == "été")
        #expect(try query.value("sp") == " ")
        #expect(try query.value("missing") == nil)
        #expect(try QueryParameters(nil).value("q") == nil)
        #expect(try QueryParameters("&&q=1&&").value("q") == "1")
    }

    @Test("a value that is not percent-encoded UTF-8 is an invalid_field naming its parameter, only when read")
    func malformed() throws {
        for bad in ["%", "%4", "%G0", "a%zz", "%FF", "%C3", "%ED%A0%80"] {
            let query = QueryParameters("ok=1&q=\(bad)")
            #expect(try query.value("ok") == "1", "other parameters still read")
            #expect(throws: PortcullisError.invalidField("q", "is not valid percent-encoded UTF-8")) { try query.value("q") }
        }
        // A name that does not decode matches nothing.
        #expect(try QueryParameters("%ZZ=1").value("%ZZ") == nil)
    }
}
