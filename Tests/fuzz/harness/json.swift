// Fuzz target `json`: request bodies as they arrive from the network.
//
// Bytes → JSONParser.parse (as Request.jsonFields does) → on success, FieldReader and every request input type
// (CheckRequest, the check-batch body, NewUser, UserPatch, NewTeam, TeamPatch, MembershipInput, NewProject,
// ProjectPatch, NewGeneration, GenerationPatch for administrators and end users, the API-key and login bodies).
//
// Checks: no crash, trap or AddressSanitizer report; an accepted document is valid UTF-8, no deeper than maxDepth and
// survives re-serialisation; a rejection carries an offset inside the input; every field error is a PortcullisError of
// code invalid_field or invalid_json, HTTP 400 (only GenerationPatch for end users may answer forbidden); accepted inputs satisfy their validators
// (ids, media keys, timestamps, text without controls, emails normalised idempotently). See common/JSONChecks.swift.
//
// Built with: Tests/fuzz/harness/common/*.swift + the Model files listed in Tests/fuzz/run.sh (JSONParser, JSONValue,
//             PortcullisError, Identifier, Action, Entities, Inputs, Validate, CheckRequest).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: size == 0 ? nil : data, count: size)
    guard let value = JSONChecks.parse(bytes) else { return 0 }
    FieldChecks.checkAllBodies(value)
    return 0
}
