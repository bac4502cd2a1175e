using RnnSweep.Worker.Hosting;

// The verbs, their options and --help: Hosting/WorkerCli.cs. No verb: the training Worker (Hosting/WorkerHost.cs).
return await WorkerCli.RunAsync(args);
