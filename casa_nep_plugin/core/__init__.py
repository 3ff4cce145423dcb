"""casa-nep core: the science and raster streaming, without QGIS.

Science modules (``casa``, ``climate``, ``respiration``, ``balance``) import
only numpy; I/O modules (``raster``, ``engine``, ``model``) need rasterio.
"""
