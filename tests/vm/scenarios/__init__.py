"""Scenario modules: each defines SCENARIO (vmharness.scenario.Scenario)."""
