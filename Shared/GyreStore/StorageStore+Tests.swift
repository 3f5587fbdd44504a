import Foundation
import PostgresNIO

/// One test case's result as stored and served.
public struct TestResultRecord: Sendable, Equatable {
    public var node: Int
    /// The report file it came from (as the agent named it).
    public var report: String
    public var classname: String
    public var name: String
    public var file: String
    /// success, failure, error or skipped.
    public var result: String
    /// Seconds.
    public var runTime: Double
    public var message: String?

    public init(node: Int, report: String, classname: String, name: String, file: String, result: String,
                runTime: Double, message: String?) {
        self.node = node
        self.report = report
        self.classname = classname
        self.name = name
        self.file = file
        self.result = result
        self.runTime = runTime
        self.message = message
    }

    /// The tool that wrote the report, as CircleCI names it: the report's
    /// directory (`rspec/results.xml` → `rspec`), else `unknown`.
    public var source: String {
        let parts = report.split(separator: "/")
        return parts.count > 1 ? String(parts[0]) : "unknown"
    }
}

/// Seconds per test file, class name and test name: what `circleci tests split --split-by=timings` reads.
public struct TestTimings: Sendable, Equatable, Codable {
    public var files: [String: Double]
    public var classnames: [String: Double]
    public var names: [String: Double]

    public init(files: [String: Double] = [:], classnames: [String: Double] = [:], names: [String: Double] = [:]) {
        self.files = files
        self.classnames = classnames
        self.names = names
    }

    /// Sums each test's time per file (tests without a file are left out), per class name and per name.
    public init(latest tests: [(classname: String, name: String, file: String, runTime: Double)]) {
        self.init()
        for test in tests {
            if !test.file.isEmpty { files[test.file, default: 0] += test.runTime }
            if !test.classname.isEmpty { classnames[test.classname, default: 0] += test.runTime }
            if !test.name.isEmpty { names[test.name, default: 0] += test.runTime }
        }
    }
}

extension StorageStore {
    /// Stores the test cases of one report of one node of a job, replacing
    /// what an earlier upload of the same report stored (an agent's retry).
    public func replaceTests(job: JobRef, node: Int, report: String, tests: [TestResultRecord]) async throws {
        try await database.transaction { connection in
            try await connection.query("""
                DELETE FROM test_results WHERE job_id = \(job.id) AND node = \(node) AND report = \(report)
                """, logger: logger)
            // Large reports go in slices so one statement's parameters stay small.
            var start = 0
            while start < tests.count {
                let slice = tests[start..<min(start + 2000, tests.count)]
                start += slice.count
                try await connection.query("""
                    INSERT INTO test_results (job_id, node, report, project_slug, classname, name, file, result, run_time, message)
                    SELECT \(job.id), \(node), \(report), \(job.projectSlug), c, n, f, r, t, NULLIF(m, '')
                    FROM unnest(\(slice.map(\.classname)), \(slice.map(\.name)), \(slice.map(\.file)),
                                \(slice.map(\.result)), \(slice.map(\.runTime)), \(slice.map { $0.message ?? "" }))
                         AS u(c, n, f, r, t, m)
                    """, logger: logger)
            }
        }
    }

    /// A job's test results from all its nodes, in the order they were stored.
    public func tests(job: UUID) async throws -> [TestResultRecord] {
        let rows = try await database.query("""
            SELECT node, report, classname, name, file, result, run_time, message FROM test_results
            WHERE job_id = \(job) OR job_id IN (SELECT id FROM jobs WHERE parent_id = \(job))
            ORDER BY node, seq
            """)
        var items: [TestResultRecord] = []
        for try await (node, report, classname, name, file, result, runTime, message)
            in rows.decode((Int, String, String, String, String, String, Double, String?).self) {
            items.append(TestResultRecord(node: node, report: report, classname: classname, name: name, file: file,
                                          result: result, runTime: runTime, message: message))
        }
        return items
    }

    /// Timings from each test's most recent result in the project.
    public func timings(project: String) async throws -> TestTimings {
        let rows = try await database.query("""
            SELECT DISTINCT ON (classname, name, file) classname, name, file, run_time FROM test_results
            WHERE project_slug = \(project)
            ORDER BY classname, name, file, seq DESC
            """)
        var latest: [(classname: String, name: String, file: String, runTime: Double)] = []
        for try await (classname, name, file, runTime) in rows.decode((String, String, String, Double).self) {
            latest.append((classname, name, file, runTime))
        }
        return TestTimings(latest: latest)
    }
}
