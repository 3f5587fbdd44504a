import Foundation
import GyreModel
import Testing
@testable import FrontendService

/// `POST /pipeline/continue` input checks that need no database.
@Suite struct ContinueRequestTests {
    @Test func aTopLevelSetupIsSpottedBeforeTheDispatcherSeesIt() {
        #expect(FrontendAPI.declaresSetup("version: 2.1\nsetup: true\njobs: {}\n"))
        #expect(FrontendAPI.declaresSetup("version: 2.1\nsetup: yes # dynamic\n"))
        #expect(!FrontendAPI.declaresSetup("version: 2.1\nsetup: false\n"))
        #expect(!FrontendAPI.declaresSetup("version: 2.1\njobs:\n  setup:\n    setup: true\n"))
    }

    @Test func parametersKeepToTheAPILimits() throws {
        try FrontendAPI.checkParameters(["deploy": .boolean(true), "n": .integer(3)])
        #expect(throws: Error.self) { try FrontendAPI.checkParameters(["": .string("x")]) }
        #expect(throws: Error.self) {
            try FrontendAPI.checkParameters(["big": .string(String(repeating: "x", count: 513))])
        }
        #expect(throws: Error.self) {
            try FrontendAPI.checkParameters(Dictionary(uniqueKeysWithValues: (0...100).map { ("p\($0)", GyreModel.ParameterValue.integer($0)) }))
        }
    }
}
