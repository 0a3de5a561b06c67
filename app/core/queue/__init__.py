"""The persistent job queue: jobs, priorities and folder batches kept in the library's database,
run by an executor (this machine's worker thread, or a Ray farm of GPU machines)."""
