"""One module per kind of generated page: the home page's grid, use case, model, framework
and hardware entries, the collection indexes, machines, browser results, the runtime
comparison and the methodology. Each lays out its sections (`..sections`) in order."""
