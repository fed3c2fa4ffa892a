"""Keeping the store honest: verify the audit chain and every media file's hash (admin)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from geozones.services.authz import Action, Principal, authorize
from geozones.store.audit import ChainBreak, verify_chain
from geozones.store.database import Store
from geozones.store.models import Media, RuleSetVersion

__all__ = ["VerifyReport", "verify_store"]


@dataclass
class VerifyReport:
    """What :func:`verify_store` found; ``ok`` when nothing is broken."""

    events: int
    chain_break: ChainBreak | None
    media: int
    bad_media: list[str]
    versions: int
    bad_versions: list[str]

    @property
    def ok(self) -> bool:
        """True when the chain, every media file and every version text verify."""
        return self.chain_break is None and not self.bad_media and not self.bad_versions

    def problems(self) -> list[str]:
        """One line per problem, the first break of the chain first."""
        out = [str(self.chain_break)] if self.chain_break else []
        out += [f"media {h}: isi tidak cocok dengan sha256 / content does not match its sha256" for h in self.bad_media]
        out += [f"ruleset_version {v}: teks YAML tidak cocok dengan sha256 / YAML text does not match its sha256"
                for v in self.bad_versions]
        return out


def verify_store(store: Store, actor: Principal) -> VerifyReport:
    """Verify the audit chain, every media file and every rule-set text against its sha256 (admin only)."""
    authorize(actor, Action.ADMIN)
    with store.read() as s:
        n, brk = verify_chain(s)
        bad, m = [], 0
        for sha, data in s.execute(select(Media.sha256, Media.data).order_by(Media.sha256)):
            m += 1
            if hashlib.sha256(bytes(data)).hexdigest() != sha:
                bad.append(sha)
        badv, nv = [], 0
        for _ident, rid, ver, text, sha in s.execute(select(RuleSetVersion.id, RuleSetVersion.ruleset_id,
                                                           RuleSetVersion.version, RuleSetVersion.yaml_text,
                                                           RuleSetVersion.sha256).order_by(RuleSetVersion.id)):
            nv += 1
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
                badv.append(f"{rid}@{ver}")
        return VerifyReport(n, brk, m, bad, nv, badv)
