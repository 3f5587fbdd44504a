import Foundation
import GyreProtocol
import Testing
@testable import BuildAgentService

/// The stop state machine of a running job (cancel, time limit) and the
/// registry that routes `JobCancel` to it.
@Suite struct JobControlTests {
    @Test func theFirstStopWinsAndIsWhatTheSupervisorSees() async {
        let control = JobControl()
        #expect(!control.isStopped)
        #expect(control.stop(.canceled))
        #expect(!control.stop(.timedOut(.seconds(3))))
        #expect(control.isStopped)
        #expect(await control.outcome() == .canceled)
    }

    @Test func aStopAfterTheStepsCompletedIsIgnored() async {
        let control = JobControl()
        control.complete()
        #expect(!control.stop(.canceled))
        #expect(!control.isStopped)
        #expect(await control.outcome() == nil)
    }

    @Test func aWaitingSupervisorIsWokenByTheStop() async {
        let control = JobControl()
        async let outcome = control.outcome()
        try? await Task.sleep(for: .milliseconds(20))
        control.stop(.timedOut(.seconds(5)))
        #expect(await outcome == .timedOut(.seconds(5)))
    }

    @Test func aCancelFindsItsRunningAttemptOnly() {
        let controls = JobControls()
        let job = UUID()
        let control = controls.begin(JobAttempt(jobId: job, attempt: 2))
        #expect(!controls.cancel(JobAttempt(jobId: job, attempt: 1)))
        #expect(!control.isStopped)
        #expect(controls.cancel(JobAttempt(jobId: job, attempt: 2)))
        #expect(control.isStopped)
        controls.end(JobAttempt(jobId: job, attempt: 2))
        #expect(!controls.cancel(JobAttempt(jobId: job, attempt: 2)))
    }

    @Test func aCancelThatOvertakesItsAssignmentStopsTheJobAtOnce() {
        let controls = JobControls()
        let attempt = JobAttempt(jobId: UUID(), attempt: 1)
        #expect(!controls.cancel(attempt))
        #expect(controls.begin(attempt).isStopped)
        #expect(!controls.begin(JobAttempt(jobId: UUID(), attempt: 1)).isStopped)
    }

    @Test func timeLimitsAreWrittenLikeCircleCIDurations() {
        #expect(JobRunner.describe(.seconds(18000)) == "5h")
        #expect(JobRunner.describe(.seconds(5400)) == "1h30m")
        #expect(JobRunner.describe(.seconds(90)) == "1m30s")
        #expect(JobRunner.describe(.seconds(3)) == "3s")
    }

    @Test func resourceClassesGiveCircleCILimitsClampedToTheHost() throws {
        let large = try ResourceClass.named("large")
        #expect(large.cpus == 4 && large.memoryBytes == 8 << 30)
        #expect(large.cpus(onHostWith: 2) == 2)
        #expect(large.cpus(onHostWith: 16) == 4)
        #expect(try ResourceClass.named("2xlarge+").cpus == 20)
        #expect(throws: WorkspaceError.self) { try ResourceClass.named("huge") }
        // Classes only some builders offer: arm, GPU, a container runner's own class.
        #expect(try ResourceClass.named("arm.large").memoryGB == 16)
        #expect(try ResourceClass.named("gpu.nvidia.small").cpus == 4)
        #expect(try ResourceClass.named("acme/docker-runner").cpus == 2)
        do {
            _ = try ResourceClass.named("huge")
        } catch {
            #expect(error.message.contains("small, medium, medium+, large, xlarge, 2xlarge, 2xlarge+"))
        }
    }
}
