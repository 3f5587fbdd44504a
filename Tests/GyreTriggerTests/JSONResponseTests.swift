import Foundation
import GyreServiceKit
import Testing

/// API answers carry ids in lower case, as CircleCI's do (JSONEncoder writes `UUID`s in upper case).
@Suite struct JSONResponseTests {
    func lowered(_ text: String) -> String {
        var bytes = Array(text.utf8)
        JSONResponse.lowercaseUUIDs(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func stringsThatAreExactlyAUUIDAreLowerCased() throws {
        let id = UUID(uuidString: "80E7E661-C6D7-44FA-8986-D594DF66EB1A")!
        let data = try JSONEncoder().encode(["id": id])
        #expect(String(decoding: data, as: UTF8.self).contains("80E7E661"))
        #expect(lowered(String(decoding: data, as: UTF8.self)) == #"{"id":"80e7e661-c6d7-44fa-8986-d594df66eb1a"}"#)
        #expect(lowered(#"["A0000000-0000-4000-8000-00000000000F","B0000000-0000-4000-8000-00000000000E"]"#)
                == #"["a0000000-0000-4000-8000-00000000000f","b0000000-0000-4000-8000-00000000000e"]"#)
    }

    @Test func otherTextIsLeftAsItIs() {
        // A UUID inside a longer string (a log line, a message) is not an id field.
        let text = #"{"output":"job 80E7E661-C6D7-44FA-8986-D594DF66EB1A ran","name":"ABCDEFAB-ABCD-ABCD-ABCD-ABCDEFABCDEG","x":"SHORT"}"#
        #expect(lowered(text) == text)
        #expect(lowered("\"") == "\"")
    }
}
