<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <!-- carbon sink / warning / source classes -->
    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <rasterTransparency/>
      <colorPalette>
        <paletteEntry value="1" color="#1a9850" label="sink (RH/NPP below threshold)" alpha="255"/>
        <paletteEntry value="2" color="#fee08b" label="warning (threshold to 100 %)" alpha="255"/>
        <paletteEntry value="3" color="#d73027" label="source (RH/NPP above 100 %, NEP &lt; 0)" alpha="255"/>
      </colorPalette>
    </rasterrenderer>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
