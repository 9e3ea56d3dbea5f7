"""``hatch run demo``: a short, offline tour of httpcore's main job on local servers."""
