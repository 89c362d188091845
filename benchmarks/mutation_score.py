"""Print the mutation score from mutmut's counts (benchmarks/results/mutation.json)."""

import json
from pathlib import Path

stats = json.loads((Path(__file__).parent / "results" / "mutation.json").read_text())
covered = stats["total"] - stats["no_tests"]
killed = stats["killed"] + stats["timeout"]
print(
    f"mutation score: {killed} of {covered} mutants that the tests reach are killed "
    f"({killed / covered:.0%}); {stats['survived']} survived; {stats['no_tests']} are in code "
    f"the selected tests do not run (of {stats['total']} mutants)"
)
