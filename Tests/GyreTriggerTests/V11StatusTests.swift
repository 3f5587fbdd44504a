import GyreModel
import Testing
@testable import FrontendService

@Suite struct V11StatusTests {
    @Test func jobStatusesMapToV11StatusLifecycleAndOutcome() {
        #expect(V11Build.states(.success) == ("success", "finished", "success"))
        #expect(V11Build.states(.failed) == ("failed", "finished", "failed"))
        #expect(V11Build.states(.running) == ("running", "running", nil))
        #expect(V11Build.states(.queued) == ("queued", "queued", nil))
        #expect(V11Build.states(.blocked) == ("not_running", "not_running", nil))
        #expect(V11Build.states(.notRun) == ("not_run", "not_run", nil))
        #expect(V11Build.states(.infrastructureFail) == ("infrastructure_fail", "finished", "infrastructure_fail"))
    }
}
