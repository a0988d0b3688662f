"""The speed-ups that rely on private internals still fit the installed libraries.

When a pin changes, this fails with a sentence saying which internal to re-read, not
with a mystery somewhere in a build.
"""

from __future__ import annotations

from analysis.engine import internals


def test_the_private_internals_fit_the_pinned_versions():
    problems = internals.problems()
    assert not problems, "\n".join(problems)


def test_a_changed_pin_is_named_in_plain_words(monkeypatch):
    monkeypatch.setitem(internals.CHECKED_AGAINST, "sphinx", "0.0.1")
    (message,) = internals.problems()
    assert message.startswith("sphinx is 7.4.7, but analysis/engine/internals.py was checked "
                              "against 0.0.1") and "--plain" in message


def test_a_plain_build_uses_jupyter_clients_own_kernel_manager(monkeypatch):
    from jupyter_client.manager import AsyncKernelManager

    monkeypatch.setenv(internals.PLAIN_ENV, "1")
    assert type(internals.kernel_manager()) is AsyncKernelManager
    monkeypatch.delenv(internals.PLAIN_ENV)
    assert type(internals.kernel_manager()) is not AsyncKernelManager
