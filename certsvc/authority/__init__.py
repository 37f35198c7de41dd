"""The origin authority: accreditation, embassies, national catalogue, equivalences, trust lists, indicators."""
