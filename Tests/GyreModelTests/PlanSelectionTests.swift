import GyreModel
import Testing

struct PlanSelectionTests {
    static let job = JobPlan(executor: .machine(resourceClass: "gyre/host"), steps: [])

    func job(_ name: String, requires: [String] = [], branches: PatternFilter? = nil,
             tags: PatternFilter? = nil) -> WorkflowJobPlan {
        let filters = branches == nil && tags == nil ? nil : JobFilters(branches: branches, tags: tags)
        return WorkflowJobPlan(name: name, requires: requires, job: Self.job, filters: filters)
    }

    var plan: PipelinePlan {
        PipelinePlan(workflows: [
            WorkflowPlan(name: "main", jobs: [
                job("build", tags: PatternFilter(only: [NamePattern("/^v.*/")])),
                job("test", requires: ["build"]),
                job("deploy", requires: ["build"], branches: PatternFilter(only: [.exact("main")]),
                    tags: PatternFilter(only: [NamePattern("/^v.*/")])),
                job("docs", branches: PatternFilter(ignore: [NamePattern("/wip-.*/")])),
            ]),
            WorkflowPlan(name: "nightly", jobs: [job("build")],
                         triggers: [ScheduleTrigger(cron: "0 0 * * *", branches: PatternFilter(only: [.exact("main")]))]),
        ])
    }

    func names(_ plan: PipelinePlan) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: plan.workflows.map { ($0.name, $0.jobs.map(\.name)) })
    }

    @Test func branchFiltersDropJobsAndTheirDependents() {
        #expect(names(plan.selected(branch: "main", tag: nil, triggerSource: .api, scheduledWorkflow: nil))
                == ["main": ["build", "test", "deploy", "docs"]])
        #expect(names(plan.selected(branch: "feature", tag: nil, triggerSource: .webhook, scheduledWorkflow: nil))
                == ["main": ["build", "test", "docs"]])
        #expect(names(plan.selected(branch: "wip-x", tag: nil, triggerSource: .api, scheduledWorkflow: nil))
                == ["main": ["build", "test"]])
    }

    @Test func aTagPipelineRunsOnlyJobsWithAMatchingTagFilter() {
        // test has no tags filter: it does not run for tags, even though build does.
        #expect(names(plan.selected(branch: nil, tag: "v1.0", triggerSource: .api, scheduledWorkflow: nil))
                == ["main": ["build", "deploy"]])
        // No job allows this tag: no workflow at all.
        #expect(plan.selected(branch: nil, tag: "release", triggerSource: .api, scheduledWorkflow: nil).workflows.isEmpty)
    }

    @Test func aDroppedRequirementDropsItsDependentsTransitively() {
        let plan = PipelinePlan(workflows: [WorkflowPlan(name: "w", jobs: [
            job("a", branches: PatternFilter(only: [.exact("main")])),
            job("b", requires: ["a"]),
            job("c", requires: ["b"]),
            job("d"),
        ])])
        #expect(names(plan.selected(branch: "dev", tag: nil, triggerSource: .api, scheduledWorkflow: nil)) == ["w": ["d"]])
    }

    @Test func scheduledWorkflowsRunOnlyInTheirScheduledPipeline() {
        #expect(names(plan.selected(branch: "main", tag: nil, triggerSource: .scheduledPipeline, scheduledWorkflow: "nightly"))
                == ["nightly": ["build"]])
        #expect(plan.selected(branch: "main", tag: nil, triggerSource: .scheduledPipeline, scheduledWorkflow: "other")
                    .workflows.isEmpty)
    }
}
