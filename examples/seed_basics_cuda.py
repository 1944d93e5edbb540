"""The PyTorch-basics tutorial on a GPU: examples/seed_basics.py with its tensors made there.

The tutorial's own source runs, with the lines that make tensors changed as a PyTorch user
changes them for a GPU (`device="cuda"`, `.to("cuda")`, `.cuda()`, and `.cpu()` before
`.numpy()`). It prints the tutorial's lines, each GPU tensor with `device='cuda:0'`, as
PyTorch's (tests/backends/cuda/test_gpu.py compares the two). Needs an NVIDIA GPU.
"""

from pathlib import Path

TUTORIAL = Path(__file__).with_name("seed_basics.py")
# (the tutorial's line, the same line for a GPU)
ON_THE_GPU = [
    ("t1 = graphc.tensor(4.)", 't1 = graphc.tensor(4., device="cuda")'),
    ("t2 = graphc.tensor([1., 2, 3])", 't2 = graphc.tensor([1., 2, 3]).to("cuda")'),
    ("                    [5., 6]])", '                    [5., 6]], device="cuda")'),
    ("     [10, 11, 12]]])", '     [10, 11, 12]]]).to("cuda")'),
    ("x = graphc.tensor(3.)", 'x = graphc.tensor(3., device="cuda")'),
    ("w = graphc.tensor(4., requires_grad=True)", 'w = graphc.tensor(4., requires_grad=True, device="cuda")'),
    ("b = graphc.tensor(5., requires_grad=True)", "b = graphc.tensor(5., requires_grad=True).cuda()"),
    ("t6 = graphc.full((3, 2), 34)", 't6 = graphc.full((3, 2), 34, device="cuda")'),
    ("y = graphc.from_numpy(x)", 'y = graphc.from_numpy(x).to("cuda")'),
    ("z = y.numpy()", "z = y.cpu().numpy()"),
]


def gpu_source() -> str:
    source = TUTORIAL.read_text()
    for line, changed in ON_THE_GPU:
        if source.count(line + "\n") != 1:
            raise SystemExit(f"seed_basics.py no longer has the line {line!r}; update ON_THE_GPU")
        source = source.replace(line + "\n", changed + "\n")
    return source


if __name__ == "__main__":
    exec(compile(gpu_source(), f"{TUTORIAL} (on the GPU)", "exec"), {"__name__": "__main__"})
