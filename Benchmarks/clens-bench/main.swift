// Benchmarks live here; see Benchmarks/README.md.
print("clens-bench: no benchmarks registered yet")
