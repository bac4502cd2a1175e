// why: the classes that run in parallel (those with a class fixture of PostgresFixture, Support/PostgresFixture.cs)
// spend much of their time waiting on PostgreSQL and HTTP, so more of them at once than the 2 cores of the
// development machine keep those cores busier: the fast subset's Orchestrator tests took 63 s instead of 76 s with 4.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
