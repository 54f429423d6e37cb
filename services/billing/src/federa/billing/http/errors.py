"""Domain errors as problem+json, at one seam (style §3 example 10).

Every billing router uses `BillingRoute`: a `BillingRuleError` escaping a route becomes a
`Problem` whose `type` ends in the error's stable `code`. The transaction the route opened has
rolled back by then, so a refused command changes nothing.

Statuses: an unknown product, price code, reason code or record is 404; a command the current
state refuses (a price change inside a billed period, stopping a stopped subscription,
deleting a charged one, pricing what cannot be priced yet) is 409; input that can never be
valid (impossible dates, a bad term or catalogue definition, overlapping validity) is 422.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from federa.billing.domain import errors
from federa.shared.http.problems import Problem

NOT_FOUND: tuple[type[errors.BillingRuleError], ...] = (
    errors.UnknownProduct,
    errors.UnknownPriceCode,
    errors.MissingReasonCode,
)
CONFLICT: tuple[type[errors.BillingRuleError], ...] = (
    errors.PriceChangeInsideBilledPeriod,
    errors.SubscriptionNotActive,
    errors.SubscriptionNotStopped,
    errors.CannotDelete,
    errors.NothingToChange,
    errors.ChargeOutOfSequence,
    errors.PrerequisiteProductMissing,
    errors.NoOwnPayerAccount,
    # Pricing needs something the member or the catalogue does not have yet.
    errors.NoPriceOnDate,
    errors.MissingProductPeriods,
    errors.MissingValueUnits,
    errors.MissingBirthDate,
    errors.ValueAboveHighestBand,
    errors.ValueBandsNotEnabled,
)

TITLES = {404: "Not found", 409: "Refused in the current state", 422: "Invalid request"}


def status_of(error: errors.BillingRuleError) -> int:
    if isinstance(error, NOT_FOUND):
        return 404
    if isinstance(error, CONFLICT):
        return 409
    return 422


def as_problem(error: errors.BillingRuleError, *, status: int | None = None) -> Problem:
    code = status or status_of(error)
    return Problem(code, error.code, TITLES[code], error.message)


class BillingRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_domain_errors(request: Request) -> Response:
            try:
                return await handle(request)
            except errors.BillingRuleError as error:
                raise as_problem(error) from error

        return handle_domain_errors


# For `responses=` on routes, so OpenAPI shows the problem statuses.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown product, price code, reason code or record"},
    409: {"description": "Refused in the current state (problem type names the rule)"},
    422: {"description": "Invalid input (problem type names the rule)"},
}
