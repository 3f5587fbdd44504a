import SchedulerService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await Scheduler.build().main()
