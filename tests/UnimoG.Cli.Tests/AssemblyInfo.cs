// The CLI tests redirect Console output, which is process-wide: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
