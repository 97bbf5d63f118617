"""(stub, being written) AccountabilityCase workflow."""

from temporalio import workflow


@workflow.defn(name="AccountabilityCase")
class AccountabilityCase:
    @workflow.run
    async def run(self) -> None:
        return None
