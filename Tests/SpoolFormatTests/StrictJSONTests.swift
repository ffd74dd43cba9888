import SpoolFormat
import Testing

/// The JSON text rules of docs/FORMAT.md, beyond what a JSON parser checks.
@Suite("Strict JSON text")
struct StrictJSONTests {
    @Test(
        "integers, negative numbers, numbers inside strings and escaped quotes pass",
        arguments: [
            #"{"a":1,"b":-20,"c":0,"d":[1,2,{"e":3}]}"#,
            #"{"s":"1.0e5 is text","t":"a \"quoted\" 1.5","u":"\\"}"#,
            #"{"a":{"k":1},"b":{"k":2}}"#,
            "{ \"a\" :\t1 ,\n\"b\": 2 }",
        ])
    func accepted(_ text: String) {
        #expect(StrictJSON.problem(Array(text.utf8)) == nil)
    }

    @Test(
        "fractions, exponents, a byte-order mark and repeated keys are refused",
        arguments: [
            (#"{"format":1.0}"#, "number 1.0"),
            (#"{"format":1e0}"#, "number 1e0"),
            (#"{"a":[1,2E+3]}"#, "number 2E+3"),
            (#"{"sequence":-5.0}"#, "number -5.0"),
            (#"{"kind":"report","kind":"report"}"#, "the key \"kind\" twice"),
            (#"{"a":1,"\u0061":1}"#, "twice"),
            (#"{"r":{"path":"/a","path":"/b"}}"#, "the key \"path\" twice"),
            ("\u{FEFF}{\"format\":1}", "byte-order mark"),
        ])
    func refused(_ text: String, _ reason: String) {
        let problem = StrictJSON.problem(Array(text.utf8))
        #expect(problem?.contains(reason) == true, "\(problem ?? "accepted")")
    }
}
