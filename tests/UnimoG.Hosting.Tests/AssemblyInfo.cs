// Hosts in one process share ActivitySource and Meter listeners: tests run one at a time so each sees only its own.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
