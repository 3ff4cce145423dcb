<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <!-- annual RH, gC m-2 a-1 -->
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="0" classificationMax="800">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="0" maximumValue="800" labelPrecision="0">
          <item alpha="255" value="0.0" label="0" color="#fff7ec"/>
          <item alpha="255" value="200.0" label="200" color="#fdd49e"/>
          <item alpha="255" value="400.0" label="400" color="#fc8d59"/>
          <item alpha="255" value="600.0" label="600" color="#d7301f"/>
          <item alpha="255" value="800.0" label="800" color="#7f0000"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
