"""Each workflow instance runs in a fresh sandbox; only its own module may be re-executed there.

Helpers imported inside `workflow.unsafe.imports_passed_through()` are meant to be shared with
the host. `from workflows.x import helper_module` silently defeats that (the sandbox resolves
the submodule through the sandboxed package), so every new workflow re-imported, and with
PYTHONDONTWRITEBYTECODE re-compiled, its helper modules: ~6 ms of worker CPU per
ServiceRequest on this machine (measured by bench/, BENCHMARKS.md).
"""

from __future__ import annotations

import importlib._bootstrap_external as bootstrap
from collections import Counter

import pytest
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import _Definition

from worker.registry import workflow_classes


@pytest.mark.parametrize("cls", workflow_classes(), ids=lambda c: c.__name__)
async def test_a_new_workflow_reimports_only_its_own_module(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: Counter[str] = Counter()
    original = bootstrap.SourceFileLoader.get_code

    def get_code(self: bootstrap.SourceFileLoader, name: str) -> object:
        loaded[name] += 1
        return original(self, name)

    runner = SandboxedWorkflowRunner()
    definition = _Definition.must_from_class(cls)
    runner.prepare_workflow(definition)  # the first instance may import anything once
    monkeypatch.setattr(bootstrap.SourceFileLoader, "get_code", get_code)
    runner.prepare_workflow(definition)  # creates a second sandboxed instance
    module = cls.__module__
    parents = {module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1)}
    assert set(loaded) <= {module, *parents}, sorted(set(loaded) - {module, *parents})


async def test_a_new_service_request_reimports_nothing_on_the_product_runner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 15: worker/build.py passes ServiceRequest's own module through the sandbox, so a
    new case neither re-executes it nor builds its ~30-handler class again."""
    from worker.build import workflow_runner
    from workflows.service_request.workflow import ServiceRequest

    loaded: Counter[str] = Counter()
    original = bootstrap.SourceFileLoader.get_code

    def get_code(self: bootstrap.SourceFileLoader, name: str) -> object:
        loaded[name] += 1
        return original(self, name)

    runner = workflow_runner()
    definition = _Definition.must_from_class(ServiceRequest)
    runner.prepare_workflow(definition)
    monkeypatch.setattr(bootstrap.SourceFileLoader, "get_code", get_code)
    runner.prepare_workflow(definition)
    assert not loaded, sorted(loaded)
