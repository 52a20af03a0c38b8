"""The request's time budget: the contract's upstream deadline plus Secrets Manager's share of 2 s."""

from __future__ import annotations

from dataclasses import dataclass

# What reading the secret may take on top of the upstream deadline; the rest of the contract's 2 s is
# the proxy's own work and Lambda's.
SECRET_READ_SECONDS = 1.5


@dataclass(frozen=True)
class Budget:
    """Monotonic times: `started` is when the request arrived."""

    started: float
    upstream_seconds: float

    @property
    def finish_by(self) -> float:
        """When every outside call of this request must be over."""
        return self.started + self.upstream_seconds + SECRET_READ_SECONDS

    def upstream_allowance(self, now: float, reserve: float = 0.0) -> float:
        """Seconds the call to Kick may take now, keeping `reserve` for what follows it; <= 0: none left."""
        return min(self.upstream_seconds, self.finish_by - reserve - now)
