"""One reader per IQA data set, each in its published layout (public entry point: :mod:`asym.data.iqa_sets`).

Every module holds its set's ``LAYOUT`` (the expected files, printed with every layout
error), its ``SCALE`` (:class:`asym.data.readers.common.Scale`: the published score's
name, direction and range, checked on load) and one ``load_<set>(root, **options)``
function; :mod:`asym.data.readers.common` holds what they share.
"""
