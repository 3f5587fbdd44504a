/// Which parts of a compiled plan run for one pipeline: CircleCI's job
/// `filters` (branch/tag) and workflow schedule `triggers`.
extension PipelinePlan {
    /// The plan for a pipeline on `branch` or `tag`. Jobs whose filters
    /// exclude it are dropped, and so, transitively, are the jobs that
    /// require a dropped job; a workflow left without jobs is dropped.
    /// Workflows with `triggers` run only in a scheduled pipeline that names
    /// them; a scheduled pipeline runs only the workflow it names.
    public func selected(branch: String?, tag: String?, triggerSource: TriggerSource,
                         scheduledWorkflow: String?) -> PipelinePlan {
        var result: [WorkflowPlan] = []
        for workflow in workflows {
            if triggerSource == .scheduledPipeline {
                guard workflow.name == scheduledWorkflow else { continue }
            } else if !workflow.triggers.isEmpty {
                continue
            }
            var kept = workflow
            kept.jobs = workflow.filteredJobs(branch: branch, tag: tag)
            if !kept.jobs.isEmpty { result.append(kept) }
        }
        return PipelinePlan(workflows: result)
    }
}

extension WorkflowPlan {
    /// The jobs that run for `branch`/`tag`, in their order.
    public func filteredJobs(branch: String?, tag: String?) -> [WorkflowJobPlan] {
        var dropped = Set(jobs.filter { !$0.filters.allows(branch: branch, tag: tag) }.map(\.name))
        var changed = true
        while changed {
            changed = false
            for job in jobs where !dropped.contains(job.name) && job.requires.contains(where: dropped.contains) {
                dropped.insert(job.name)
                changed = true
            }
        }
        return jobs.filter { !dropped.contains($0.name) }
    }
}
