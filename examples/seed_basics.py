"""The PyTorch-basics tutorial, cell by cell, in graphc (`torch.` read as `graphc.`).

Each cell starts with a label line, `# In [n]: ...`: the tutorial's cell number (see
"In [n]:" in the tutorial) and what the lines below it show. Where the notebook displays
a cell's value, this script prints its repr.
"""

import numpy as np

import graphc


def cell(number: int, what: str) -> None:
    """Print the label of the tutorial's cell `In [number]`: what its output lines show."""
    print(f"# In [{number}]: {what}")


def show(value):
    """Print a value the way a notebook displays a cell's last expression."""
    print(repr(value))


# ## Tensors
cell(14, "t1, a tensor of one number (4. is the float 4.0)")
t1 = graphc.tensor(4.)
show(t1)
cell(15, "t1.dtype, the element type: float32 by default")
show(t1.dtype)

cell(16, "t2, a vector: the ints are converted to floats like the 1.")
t2 = graphc.tensor([1., 2, 3])
show(t2)

cell(17, "t3, a matrix of 3 rows and 2 columns")
t3 = graphc.tensor([[1, 2],
                    [3, 4.],
                    [5., 6]])
show(t3)

cell(18, "t4, a 3-d tensor of ints (no float among them, so int64)")
t4 = graphc.tensor([
    [[1, 2, 3],
     [4, 5, 6]],
    [[7, 8, 9],
     [10, 11, 12]]])
show(t4)

cell(19, "print(t1), then t1.shape: a number has no dimensions")
print(t1)
show(t1.shape)
cell(20, "print(t3), then t3.shape: 3 rows, 2 columns")
print(t3)
show(t3.shape)
cell(21, "print(t2), then t2.shape: 3 elements")
print(t2)
show(t2.shape)
cell(22, "print(t4), then t4.shape: 2 blocks of 2 rows of 3")
print(t4)
show(t4.shape)

# ## Tensor operations and gradients
cell(23, "x, w, b: w and b will get gradients (requires_grad)")
x = graphc.tensor(3.)
w = graphc.tensor(4., requires_grad=True)
b = graphc.tensor(5., requires_grad=True)
show((x, w, b))

cell(24, "y = w * x + b = 17, remembering the op that made it (grad_fn)")
y = w * x + b
show(y)

cell(26, "the derivatives after y.backward() (cell 25): dy/dw = x, dy/db = 1, none for x")
y.backward()
print('dy/dw:', w.grad)
print('dy/dx:', x.grad)
print('dy/db:', b.grad)

# ## Tensor functions
cell(13, "t6, a 3x2 tensor full of 34 (ints)")
t6 = graphc.full((3, 2), 34)
show(t6)

cell(29, "t7, t3 with t6's rows below (as floats)")
t7 = graphc.cat((t3, t6))
show(t7)

cell(31, "t8, the sine of each element of t7")
t8 = graphc.sin(t7)
show(t8)

cell(36, "t9, the cosine of each element of t7")
t9 = graphc.cos(t7)
show(t9)

cell(38, "t10, the tangent of each element of t7")
t10 = graphc.tan(t7)
show(t10)

cell(39, "t11, t10's 12 elements reshaped to 3 x 2 x 2")
t11 = t10.reshape(3, 2, 2)
show(t11)

# ## Interoperability with NumPy
cell(4, "x, a NumPy array of float64")
x = np.array([[1, 2], [4, 5.]])
show(x)

cell(5, "y = from_numpy(x): a tensor of the same values, float64 kept")
y = graphc.from_numpy(x)
show(y)
cell(7, "x.dtype and y.dtype: NumPy's and graphc's name for the same type")
show((x.dtype, y.dtype))

cell(10, "z = y.numpy(): back to a NumPy array")
z = y.numpy()
show(z)
cell(11, "z.dtype, still float64")
show(z.dtype)
