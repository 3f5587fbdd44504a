import SchedulerService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await Scheduler.build().run()
