"""Package data shipped with ACLNet Live (pose models, test media); read through importlib.resources."""
