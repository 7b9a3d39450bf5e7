"""Offline truth discovery over claim files: ``chiffres consensus estimate`` and ``evaluate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from chiffres.cli import progress
from chiffres.cli.choices import SCALES
from chiffres.cli.claims import consensus_recompute, consensus_show
from chiffres.cli.common import FIGURE_HELP, with_federation
from consensus.vocabulary import ConsensusError as OfflineInputError
from fedi.config import Settings

_SCALE = (
    "how values compare: ratio (in logarithms, as populations or prices), interval (linearly, as temperatures),"
    " or auto: whether the claims' disagreements grow with their size (default)"
)

_CLAIMS = "TSV lines: object, value, source[, domain]"
_ENCODING = "the files' text encoding (default utf-8)"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    consensus = commands.add_parser("consensus", help="offline truth discovery over claim files").add_subparsers(
        dest="consensus", required=True
    )
    estimate = consensus.add_parser("estimate", help="TSV claims (object, value, source[, domain]) → estimates")
    estimate.add_argument("--claims", type=Path, required=True, metavar="FILE", help=_CLAIMS)
    estimate.add_argument("--trust", type=Path, metavar="FILE", help="TSV lines: domain, trust")
    estimate.add_argument("--encoding", default="utf-8", help=_ENCODING)
    estimate.add_argument("--scale", choices=SCALES, default="auto", help=_SCALE)
    estimate.set_defaults(run=_consensus_estimate)
    evaluate = consensus.add_parser("evaluate", help="compare estimates with a truth file; prints JSON")
    evaluate.add_argument("--claims", type=Path, required=True, metavar="FILE", help=_CLAIMS)
    evaluate.add_argument("--truth", type=Path, required=True, metavar="FILE", help="TSV lines: object, true value")
    evaluate.add_argument(
        "--tolerance", type=float, default=0.01, help="relative distance counted as right (default 0.01)"
    )
    evaluate.add_argument("--encoding", default="utf-8", help=_ENCODING)
    evaluate.add_argument("--scale", choices=SCALES, default="auto", help=_SCALE)
    evaluate.add_argument(
        "--numbers-only", action="store_true", help="leave categorical claims out, as a live instance sees figures"
    )
    evaluate.set_defaults(run=_consensus_evaluate)
    show = consensus.add_parser("show", help="a figure's consensus, and the claims behind it with their weights")
    show.add_argument("figure", metavar="FIGURE", help=FIGURE_HELP)
    show.add_argument("--json", action="store_true", help="the consensus line and the claims counted, as JSON")
    show.set_defaults(run=with_federation(consensus_show))
    again = consensus.add_parser("recompute", help="recompute every figure's consensus (actor weights learned anew)")
    again.set_defaults(run=with_federation(progress.ticked("recomputing", consensus_recompute)))


def _open(path: Path, encoding: str) -> TextIO:
    try:
        return path.open(encoding=encoding, newline="")
    except LookupError:
        raise OfflineInputError(f"unknown encoding {encoding!r}") from None
    except OSError as error:
        raise OfflineInputError(f"cannot read {path}: {error.strerror}") from None


async def _consensus_estimate(args: argparse.Namespace, settings: Settings) -> int:
    from consensus import offline

    with _open(args.claims, args.encoding) as claims:
        trust = _open(args.trust, args.encoding) if args.trust else None
        try:
            offline.estimate(claims, trust, sys.stdout, scale=args.scale)
        except UnicodeDecodeError as error:
            raise OfflineInputError(f"{args.claims}: not {args.encoding}: {error.reason}") from None
        finally:
            if trust is not None:
                trust.close()
    return 0


async def _consensus_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from consensus import offline

    size = args.claims.stat().st_size if args.claims.is_file() else 0
    with (
        _open(args.claims, args.encoding) as opened,
        _open(args.truth, args.encoding) as truth,
        progress.reading(opened, "reading claims", size) as claims,
    ):
        try:
            report = offline.evaluate(claims, truth, args.tolerance, numbers_only=args.numbers_only, scale=args.scale)
        except UnicodeDecodeError as error:
            raise OfflineInputError(f"not {args.encoding}: {error.reason}") from None
    print(offline.dumps(report))
    return 0
