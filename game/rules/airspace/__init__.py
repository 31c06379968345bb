"""Air power and airspace deconfliction (see docs/airspace.md for the rules as players see them).

    airstate   AirState: sorties, tension meters, reveals, queued missions (``state.air``)
    lines      deconfliction lines -> per-cell zone owner (numpy, cached per line set)
    tension    tension changes, threshold incidents, decay, ground crossings
    missions   AirMission / IsrAnswer actions, close air support, predict_air, candidates

``game.rules.air`` registers all of it with the engine's hook lists.
"""
