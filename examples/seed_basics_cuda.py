"""The PyTorch-basics tutorial on a GPU: seed_basics.py with its tensors made on the GPU
(`device="cuda"`, `.to("cuda")`, `.cuda()`), and copied back with `.cpu()` for NumPy.

It prints what seed_basics.py prints, each GPU tensor with `device='cuda:0'` as PyTorch's
(tests/backends/cuda/test_gpu.py compares the two). Needs an NVIDIA GPU.
"""

import numpy as np

import graphc


def show(value):
    """Print a value the way a notebook displays a cell's last expression."""
    print(repr(value))


# ## Tensors
t1 = graphc.tensor(4., device="cuda")
show(t1)
show(t1.dtype)

t2 = graphc.tensor([1., 2, 3]).to("cuda")
show(t2)

t3 = graphc.tensor([[1, 2],
                    [3, 4.],
                    [5., 6]], device="cuda")
show(t3)

t4 = graphc.tensor([
    [[1, 2, 3],
     [4, 5, 6]],
    [[7, 8, 9],
     [10, 11, 12]]]).to("cuda")
show(t4)

print(t1)
show(t1.shape)
print(t3)
show(t3.shape)
print(t2)
show(t2.shape)
print(t4)
show(t4.shape)

# ## Tensor operations and gradients
x = graphc.tensor(3., device="cuda")
w = graphc.tensor(4., requires_grad=True, device="cuda")
b = graphc.tensor(5., requires_grad=True).cuda()
show((x, w, b))

y = w * x + b
show(y)

y.backward()
print('dy/dw:', w.grad)
print('dy/dx:', x.grad)
print('dy/db:', b.grad)

# ## Tensor functions
t6 = graphc.full((3, 2), 34, device="cuda")
show(t6)

t7 = graphc.cat((t3, t6))
show(t7)

t8 = graphc.sin(t7)
show(t8)

t9 = graphc.cos(t7)
show(t9)

t10 = graphc.tan(t7)
show(t10)

t11 = t10.reshape(3, 2, 2)
show(t11)

# ## Interoperability with NumPy
x = np.array([[1, 2], [4, 5.]])
show(x)

y = graphc.from_numpy(x).to("cuda")
show(y)
show((x.dtype, y.dtype))

z = y.cpu().numpy()
show(z)
show(z.dtype)
