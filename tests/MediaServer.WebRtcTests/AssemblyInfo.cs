// Each test starts a server and browsers on a machine with two cores: running them one at a time keeps timings meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
