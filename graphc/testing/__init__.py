"""graphc.testing: the differential fuzzer and the tolerance model the tests share (docs/fuzzing.md).

- `tolerance`: when two backends agree, graph by graph (used by tests/backends too);
- `bounds`: NumPy evaluation carrying the range each element may take (the element-wise model);
- `catalog`, `program`, `generator`, `inputs`: random programs over the public API and their data;
- `oracle`, `gradients`, `mutate`, `textcheck`: judging graphs, gradients and parser mutants;
- `worker`, `shrink`, `reproducer`, `tasks`, `fuzz`: crash isolation, minimisation, the runner
  (`python -m graphc.testing.fuzz --minutes N --seed S --out DIR`);
- `known`: the known-open findings a seeded run may steer clear of.
"""
