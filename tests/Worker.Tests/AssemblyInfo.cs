// why: torch's default generator (dropout) and thread pool are process-global; tests that compare runs
// bit for bit must not train concurrently.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
