"""Training: a task (model, optimizer, losses, steps; float or QAT) run by one ``tf.distribute`` loop.

:mod:`.config` (every option, TensorFlow-free, checked before anything runs), :mod:`.task` and
:mod:`.qat_task`, :mod:`.loop` (strategy, checkpoints and resume, validation, best-model export,
TensorBoard), :mod:`.schedule`, :mod:`.strategy` and :mod:`.trainer` (checks, then strategy,
data, task, loop). Not to be confused with the top-level ``training/`` folder, which holds the
command-line shims (``training/train.py``, ``training/evaluate.py``) that call
:mod:`stdc_tf.commands`.
"""
