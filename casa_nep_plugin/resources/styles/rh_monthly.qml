<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <!-- RH, gC m-2 month-1, sequential -->
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="0" classificationMax="80">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="0" maximumValue="80" labelPrecision="0">
          <item alpha="255" value="0.0" label="0" color="#fff7ec"/>
          <item alpha="255" value="20.0" label="20" color="#fdd49e"/>
          <item alpha="255" value="40.0" label="40" color="#fc8d59"/>
          <item alpha="255" value="60.0" label="60" color="#d7301f"/>
          <item alpha="255" value="80.0" label="80" color="#7f0000"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
