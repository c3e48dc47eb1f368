# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type for bad input, carrying every problem found at once."""

from __future__ import annotations

__metaclass__ = type


class SesInputError(ValueError):
    """Bad inventory or settings. Each problem names the host, group or variable and the fix."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self):
        if len(self.problems) == 1:
            return self.problems[0]
        lines = ["%d problems in the SES inventory:" % len(self.problems)]
        lines.extend("- " + problem for problem in self.problems)
        return "\n".join(lines)


class ProblemCollector:
    """Collects problems so the user sees all of them in one run, not one per run."""

    def __init__(self):
        self.problems = []

    def add(self, message):
        self.problems.append(message)

    def raise_if_any(self):
        if self.problems:
            raise SesInputError(self.problems)
