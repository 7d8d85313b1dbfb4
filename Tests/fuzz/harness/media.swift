// Fuzz target `media`: signed media URLs as a client or reverse proxy sends them to GET /api/v1/media/verify.
//
// Input: the first byte picks the configured base path (the path of `media.public_base`, trusted configuration) from
// `bases` below; the rest, decoded as UTF-8 the way header and query values reach the controller, is given both to
// MediaGrant(originalURI:basePath:) (the `X-Original-URI` header) and to MediaGrant(verifyQuery:) (the raw query).
//
// Checks: no crash, trap or AddressSanitizer report, and for every grant parsed:
//  - its fields pass their validators (media key, ids, base64url kid and sig, expires > 0);
//  - round trip: the URL the signer issues for it, `<base>/media/<key>?expires=&kid=&uid=&gid=&sig=`, parses to the
//    same grant, and so does the verify query `key=<key>&expires=&kid=&uid=&gid=&sig=`;
//  - one spelling per URL: the bytes that parsed are the issued URL's bytes (path exactly, query parameters up to their
//    order). Contract checks, off by default (see README): `media-param-order` (parameters in the issued order) and
//    `media-base-equivalence` (for base paths whose characters have other canonically equivalent spellings, the path
//    prefix is compared by String ==, i.e. by Unicode canonical equivalence, not by bytes).
//
// Built with: Tests/fuzz/harness/common/Invariant.swift + Sources/PortcullisCore/Auth/MediaGrant.swift + the Model files
//             it needs (Validate.mediaKey, Identifier.isValid; see Tests/fuzz/run.sh).

/// Base paths as MediaURLSigner.path(of:) derives them. The last two contain characters with other canonically
/// equivalent spellings (U+212A KELVIN SIGN ≡ "K"; "é" ≡ "e" + U+0301).
let bases = ["", "/files", "/cdn/v2/assets", "/", "/Kits", "/caf\u{E9}"]
let exoticBases: Set<String> = ["/Kits", "/caf\u{E9}"]

func issuedQuery(_ grant: MediaGrant) -> String {
    "expires=\(grant.expires)&kid=\(grant.kid)&uid=\(grant.userId)&gid=\(grant.generationId)&sig=\(grant.signature)"
}

func issuedURI(_ grant: MediaGrant, base: String) -> String { "\(base)/media/\(grant.mediaKey)?\(issuedQuery(grant))" }

func isBase64URL(_ text: String) -> Bool {
    (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }
}

func checkFields(_ grant: MediaGrant, _ source: String) {
    fuzzRequire((try? Validate.mediaKey(grant.mediaKey)) != nil, "\(source): invalid media key \(grant.mediaKey.quoted)")
    fuzzRequire(Identifier.isValid(grant.userId), "\(source): invalid uid \(grant.userId.quoted)")
    fuzzRequire(Identifier.isValid(grant.generationId), "\(source): invalid gid \(grant.generationId.quoted)")
    fuzzRequire(isBase64URL(grant.kid) && isBase64URL(grant.signature), "\(source): kid or sig not base64url")
    fuzzRequire(grant.expires > 0, "\(source): expires \(grant.expires) not positive")
}

/// The issued forms of `grant` parse back to it, through both entry points and for every base path.
func checkRoundTrip(_ grant: MediaGrant, _ source: String) {
    for base in bases {
        let uri = issuedURI(grant, base: base)
        let again = MediaGrant(originalURI: uri, basePath: base)
        fuzzRequire(again == grant, "\(source): issued URL \(uri.quoted) parses to \(String(describing: again)), not \(grant)")
    }
    let query = "key=\(grant.mediaKey)&\(issuedQuery(grant))"
    let again = MediaGrant(verifyQuery: query)
    fuzzRequire(again == grant, "\(source): verify query \(query.quoted) parses to \(String(describing: again)), not \(grant)")
}

/// `&`-separated pieces of a query, as bytes.
func pieces(_ query: some Collection<UInt8>) -> [[UInt8]] {
    Array(query).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map(Array.init)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let base = bases[Int(data[0]) % bases.count]
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)

    if let grant = MediaGrant(originalURI: text, basePath: base) {
        checkFields(grant, "originalURI")
        checkRoundTrip(grant, "originalURI")
        // One spelling: the parsed bytes are the issued URL's, parameters possibly reordered.
        let input = Array(text.utf8), issued = Array(issuedURI(grant, base: base).utf8)
        let inputQuestion = input.firstIndex(of: UInt8(ascii: "?"))!, issuedQuestion = issued.firstIndex(of: UInt8(ascii: "?"))!
        let samePath = input[..<inputQuestion] == issued[..<issuedQuestion]
        if exoticBases.contains(base) {
            fuzzContract("media-base-equivalence", samePath,
                         "path \(String(decoding: input[..<inputQuestion], as: UTF8.self).quoted) accepted for base \(base.quoted)")
        } else {
            fuzzRequire(samePath, "path \(String(decoding: input[..<inputQuestion], as: UTF8.self).quoted) accepted for base \(base.quoted)")
        }
        let inputPieces = pieces(input[(inputQuestion + 1)...]), issuedPieces = pieces(issued[(issuedQuestion + 1)...])
        fuzzRequire(inputPieces.sorted { $0.lexicographicallyPrecedes($1) } == issuedPieces.sorted { $0.lexicographicallyPrecedes($1) },
                    "query \(text.quoted) is another spelling of \(issuedURI(grant, base: base).quoted)")
        fuzzContract("media-param-order", inputPieces == issuedPieces, "parameters out of the issued order: \(text.quoted)")
    }

    if let grant = MediaGrant(verifyQuery: text) {
        checkFields(grant, "verifyQuery")
        checkRoundTrip(grant, "verifyQuery")
        let issued = Array("key=\(grant.mediaKey)&\(issuedQuery(grant))".utf8)
        fuzzRequire(pieces(text.utf8).sorted { $0.lexicographicallyPrecedes($1) } == pieces(issued).sorted { $0.lexicographicallyPrecedes($1) },
                    "verify query \(text.quoted) is another spelling of \(String(decoding: issued, as: UTF8.self).quoted)")
    }
    return 0
}
