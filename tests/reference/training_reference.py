"""Reference values for tests/test_training.cpp, computed with PyTorch (Debian python3-torch).

Run: /usr/bin/python3 tests/reference/training_reference.py
Parameters and gradients are a deterministic function of the index (no random numbers), so the
C++ test rebuilds the same inputs: p[i] = sin(0.37 i + 0.1), g_step[i] = cos(0.23 i + step).
"""
import math
import torch

torch.set_default_dtype(torch.float64)
N = 7


def parameter():
    return torch.tensor([math.sin(0.37 * i + 0.1) for i in range(N)], requires_grad=True)


def gradient(step):
    return torch.tensor([math.cos(0.23 * i + step) for i in range(N)])


def run(make_optimizer, steps=5, clip=None):
    p = parameter()
    opt = make_optimizer([p])
    norms = []
    for step in range(steps):
        p.grad = gradient(step)
        if clip is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_([p], clip)))
        opt.step()
    return p.detach().tolist(), norms


def show(name, values):
    print(name, "{" + ", ".join(repr(v) for v in values) + "}")


show("adam", run(lambda ps: torch.optim.Adam(ps, lr=0.01))[0])
show("adam_wd", run(lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6,
                                                  weight_decay=0.1))[0])
show("sgd_momentum", run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9))[0])
show("sgd_nesterov", run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                                      weight_decay=0.01))[0])
values, norms = run(lambda ps: torch.optim.SGD(ps, lr=0.1), clip=0.5)
show("sgd_clipped", values)
show("clip_norms", norms)

# Losses: logits[o][m] = sin(0.3 (o * M + m)) * 2, targets m % o; MSE against cos.
O, M = 4, 6
logits = torch.tensor([[2 * math.sin(0.3 * (o * M + m)) for m in range(M)] for o in range(O)],
                      requires_grad=True)
targets = torch.tensor([(3 * m + 1) % O for m in range(M)])
ce = torch.nn.functional.cross_entropy(logits.t(), targets)
ce.backward()
show("ce_loss", [float(ce)])
show("ce_grad_column0", logits.grad[:, 0].tolist())
values = torch.tensor([[math.cos(0.5 * (o * M + m)) for m in range(M)] for o in range(O)])
y = logits.detach().clone().requires_grad_(True)
mse = torch.nn.functional.mse_loss(y, values)
mse.backward()
show("mse_loss", [float(mse)])
show("mse_grad_column1", y.grad[:, 1].tolist())

sched_opt = torch.optim.SGD([parameter()], lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(sched_opt, step_size=3, gamma=0.5)
lrs = []
for epoch in range(8):
    lrs.append(sched_opt.param_groups[0]["lr"])
    sched_opt.step()
    sched.step()
show("step_lr", lrs)
