import Foundation

/// One result of one test case in one job run, with where it ran: what flaky
/// tests and test metrics are computed from.
public struct TestExecution: Sendable, Equatable {
    /// A test as Insights tells tests apart: the workflow and job it runs in, its class, name and file.
    public struct Key: Sendable, Hashable, Comparable {
        public var workflowName: String
        public var jobName: String
        public var classname: String
        public var testName: String
        public var file: String

        public init(workflowName: String, jobName: String, classname: String, testName: String, file: String) {
            self.workflowName = workflowName
            self.jobName = jobName
            self.classname = classname
            self.testName = testName
            self.file = file
        }

        public static func < (a: Key, b: Key) -> Bool {
            (a.workflowName, a.jobName, a.classname, a.testName, a.file)
                < (b.workflowName, b.jobName, b.classname, b.testName, b.file)
        }
    }

    public var key: Key
    /// The tool that wrote the report (`rspec`, `unknown`).
    public var source: String
    /// success, failure, error or skipped (as JUnit reports are stored).
    public var result: String
    /// Seconds the test took.
    public var runTime: Double
    public var jobNumber: Int
    /// Seconds the job run took (nil while it runs).
    public var jobDuration: Double?
    public var workflowId: UUID
    public var workflowCreatedAt: Date
    public var pipelineNumber: Int
    public var revision: String?

    public init(key: Key, source: String, result: String, runTime: Double, jobNumber: Int, jobDuration: Double?,
                workflowId: UUID, workflowCreatedAt: Date, pipelineNumber: Int, revision: String?) {
        self.key = key
        self.source = source
        self.result = result
        self.runTime = runTime
        self.jobNumber = jobNumber
        self.jobDuration = jobDuration
        self.workflowId = workflowId
        self.workflowCreatedAt = workflowCreatedAt
        self.pipelineNumber = pipelineNumber
        self.revision = revision
    }

    public var passed: Bool { result == "success" }
    public var failed: Bool { result == "failure" || result == "error" }
}
