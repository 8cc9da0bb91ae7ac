// One browser and one host at a time: the tests watch the server's single batcher.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
