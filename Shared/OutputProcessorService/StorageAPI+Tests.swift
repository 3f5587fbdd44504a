import Foundation
import GyreJUnit
import GyreServiceKit
import GyreStore
import Hummingbird
import NIOPosix

extension StorageAPI {
    /// `PUT jobs/{job}/tests?node=I&file=NAME`: a JUnit XML report, parsed and stored
    /// one row per test case (a second PUT of the same name replaces its rows).
    func putTests(_ request: Request, _ context: Context) async throws -> Response {
        let report = try required(request, "file", "the report's name (its path under the store_test_results directory)")
        guard report.utf8.count <= 1024 else { throw APIError.badRequest("the report name is longer than 1024 bytes") }
        let node = try node(request)
        let job = try await job(context)
        let upload = try await uploads.receive(request, context: context)
        defer { files.removeTemporary(upload.path) }
        let parsed: Result<[JUnitTestCase], JUnitParseError>
        do {
            parsed = try await NIOThreadPool.singleton.runIfActive {
                Result { () throws(JUnitParseError) in try JUnitParser.parse(contentsOf: URL(fileURLWithPath: upload.path)) }
            }
        } catch {
            throw APIError.unavailable("the report could not be read right now; send it again")
        }
        let cases: [JUnitTestCase]
        switch parsed {
        case .success(let value): cases = value
        case .failure(let error):
            throw APIError.badRequest("\(report) is not a readable JUnit XML report: \(error.description)")
        }
        let rows = cases.map {
            TestResultRecord(node: node, report: report, classname: $0.classname, name: $0.name, file: $0.file,
                             result: $0.result.rawValue, runTime: $0.runTime, message: $0.message)
        }
        try await guarded { try await store.replaceTests(job: job, node: node, report: report, tests: rows) }
        return JSONResponse.make(["tests": cases.count], status: .created)
    }

    /// `GET jobs/{job}/failed-tests`: the job's failed and errored tests (all nodes), for a rerun from failed.
    func failedTests(_ request: Request, _ context: Context) async throws -> Response {
        guard let text = context.parameters.get("job"), let job = UUID(uuidString: text) else {
            throw APIError.badRequest("job id must be a UUID")
        }
        let tests = try await guarded { try await store.tests(job: job) }
            .filter { $0.result == "failure" || $0.result == "error" }
        struct Item: Encodable {
            var file: String
            var classname: String
            var name: String
        }
        struct Out: Encodable { var tests: [Item] }
        return JSONResponse.make(Out(tests: tests.map { Item(file: $0.file, classname: $0.classname, name: $0.name) }))
    }

    /// `GET projects/{project}/timings`: seconds per file, class name and test name
    /// from each test's latest result.
    func timings(_ request: Request, _ context: Context) async throws -> Response {
        let project = try await project(context)
        let timings = try await guarded { try await store.timings(project: project) }
        return JSONResponse.make(timings)
    }
}
