<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <!-- light-use efficiency, gC MJ-1 -->
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="0" classificationMax="1">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="0" maximumValue="1" labelPrecision="0">
          <item alpha="255" value="0.0" label="0" color="#fff5eb"/>
          <item alpha="255" value="0.25" label="0.25" color="#fdbe85"/>
          <item alpha="255" value="0.5" label="0.5" color="#fd8d3c"/>
          <item alpha="255" value="0.75" label="0.75" color="#d94701"/>
          <item alpha="255" value="1.0" label="1" color="#7f2704"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
